"""Deal features: appointments (shows, no-shows, upcoming), the opportunity's stage, status, value and
age, and the lead's consent (DND) state — all as of the cutoff."""

from __future__ import annotations

import numpy as np

from ml.features.block import Block
from ml.features.events import FloatArray
from ml.features.feature import Feature

_APPT = "AppointmentCreate/Update/Delete"
_OPP = "Opportunity* (stage resolved through the pipeline catalog)"
FEATURES = (
    Feature(
        "appointments_booked_total",
        "Appointments (showings, listing appointments) booked so far.",
        "ever",
        "AppointmentCreate",
        "has booked {value:int} appointment{s}",
        zero="has never booked an appointment",
    ),
    Feature(
        "appointments_showed",
        "Appointments the lead showed up to.",
        "ever",
        "AppointmentUpdate status showed",
        "showed up to {value:int} appointment{s}",
        zero="has not attended an appointment yet",
    ),
    Feature(
        "appointments_no_show",
        "Appointments the lead did not show up to.",
        "ever",
        "AppointmentUpdate status noshow",
        "missed {value:int} appointment{s}",
        zero="has never missed an appointment",
    ),
    Feature(
        "appointments_cancelled",
        "Appointments cancelled or deleted.",
        "ever",
        "AppointmentUpdate cancelled, AppointmentDelete",
        "cancelled {value:int} appointment{s}",
        zero="has never cancelled an appointment",
    ),
    Feature(
        "upcoming_appointment",
        "1 if an appointment is booked to start after the cutoff and not cancelled.",
        "latest",
        _APPT,
        "has an appointment coming up",
        zero="has no appointment coming up",
    ),
    Feature(
        "days_since_last_booking",
        "Days since the lead last booked an appointment.",
        "ever",
        "AppointmentCreate",
        "last booked an appointment {value:days} ago",
        missing="has never booked an appointment",
    ),
    Feature(
        "stage_position",
        "Position of the opportunity's current stage in its pipeline (0 = New Lead).",
        "latest",
        _OPP,
        "is at pipeline stage {value:int} (0 = new lead)",
        zero="is still at the New Lead stage",
        missing="has no opportunity in a known pipeline",
    ),
    Feature(
        "days_in_stage",
        "Days since the opportunity last changed stage.",
        "latest",
        _OPP,
        "has been in the same stage for {value:days}",
        missing="has no opportunity",
    ),
    Feature(
        "in_nurture",
        "1 if the opportunity sits in the Nurture stage.",
        "latest",
        _OPP,
        "was moved to Nurture",
        zero="is not in Nurture",
        missing="has no opportunity stage",
    ),
    Feature(
        "opportunity_closed_lost",
        "1 if the opportunity's status is lost or abandoned.",
        "latest",
        "OpportunityStatusUpdate",
        "the deal was marked lost or abandoned",
        zero="the deal is still open",
        missing="has no opportunity status",
    ),
    Feature(
        "opportunity_value",
        "Latest monetary value of the opportunity (NaN when not set).",
        "latest",
        "OpportunityMonetaryValueUpdate",
        "has a deal worth {value:money}",
        missing="the deal has no value yet",
    ),
    Feature(
        "opportunity_age_days",
        "Days since the first opportunity event.",
        "ever",
        "OpportunityCreate",
        "has had an open deal for {value:days}",
        missing="has no opportunity",
    ),
    Feature(
        "won_before",
        "1 if an opportunity of the lead was already won.",
        "ever",
        "OpportunityStatusUpdate status won",
        "already closed a deal with us",
        zero="has not closed a deal yet",
    ),
    Feature(
        "dnd_sms",
        "1 if SMS is blocked by DND at the cutoff.",
        "latest",
        "ContactDndUpdate dndSettings.SMS",
        "has blocked texts (SMS DND)",
        zero="can be texted",
    ),
    Feature(
        "dnd_email",
        "1 if e-mail is blocked by DND at the cutoff (bounce, unsubscribe).",
        "latest",
        "ContactDndUpdate dndSettings.Email",
        "has blocked e-mail (e-mail DND)",
        zero="can be e-mailed",
    ),
    Feature(
        "opted_out_now",
        "1 if the lead's latest opt-out or opt-in text was an opt-out (STOP, 'wrong number', ...).",
        "latest",
        "InboundMessage classified by hub.compliance.opt_out",
        "has opted out of texts",
        zero="has not opted out of texts",
    ),
    Feature(
        "opt_out_texts",
        "Opt-out texts (STOP, 'wrong number', ...) received so far.",
        "ever",
        "InboundMessage classified by hub.compliance.opt_out",
        "texted STOP {value:int} time{s}",
        zero="never texted STOP",
    ),
)


def compute(b: Block) -> dict[str, FloatArray]:
    created = b.mask("appt_created")
    cancelled_by_cutoff = b.col("appt_cancel_known") <= b.row_cutoff
    upcoming = created & (b.col("appt_start") > b.row_cutoff) & ~cancelled_by_cutoff
    opp = b.mask("opp")
    every_row = np.ones(len(b.rows), dtype=bool)
    opted_out = np.where(b.mask("opt_out"), 1.0, np.where(b.mask("opt_in"), 0.0, -1.0))
    return {
        "appointments_booked_total": b.count(created),
        "appointments_showed": b.count(b.mask("appt_showed")),
        "appointments_no_show": b.count(b.mask("appt_noshow")),
        "appointments_cancelled": b.count(b.mask("appt_cancelled")),
        "upcoming_appointment": (b.count(upcoming) > 0).astype(float),
        "days_since_last_booking": b.days_since(b.last_time(created)),
        "stage_position": b.last_value(b.col("stage_position").astype(float), opp),
        "days_in_stage": b.days_since(b.last_time(b.mask("stage_change"))),
        "in_nurture": b.last_value(b.col("nurture").astype(float), opp),
        "opportunity_closed_lost": b.last_value(b.col("closed_lost").astype(float), opp),
        "opportunity_value": b.last_value(b.col("value").astype(float), opp),
        "opportunity_age_days": b.days_since(b.first_time(opp)),
        "won_before": (b.count(b.mask("won")) > 0).astype(float),
        "dnd_sms": b.last_value(b.col("dnd_sms").astype(float), every_row, default=0.0),
        "dnd_email": b.last_value(b.col("dnd_email").astype(float), every_row, default=0.0),
        "opted_out_now": b.last_value(opted_out, opted_out >= 0, default=0.0),
        "opt_out_texts": b.count(b.mask("opt_out")),
    }
