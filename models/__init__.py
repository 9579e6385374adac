"""Persistence: SQLAlchemy models, engine setup and Alembic migrations.

Imports nothing from ``ivr`` or ``transcription``.
"""

from models.alert import Alert, AlertChannel, AlertKind, AlertState
from models.audit import AuditLog
from models.base import Base, utcnow
from models.block_list import BlockedNumber
from models.cache import CALL_PATH, UNASSIGNED_QUEUE, CacheGeneration, QueueVersion
from models.call import Call, CallDirection, CallEvent, CallOutcome
from models.callback import CallbackRequest, CallbackState
from models.caller import Caller, CallerVulnerability, Vulnerability
from models.campaign import (
    Campaign,
    CampaignAttempt,
    CampaignEntry,
    CampaignOutcome,
    EntryState,
)
from models.job import PeriodicRun
from models.menu import MenuStatus, MenuTemplate, MenuVersion, MenuVersionImmutable
from models.outreach import OutboundMessage, OutboundState, SmsOptOut
from models.privacy import RetentionPolicy
from models.prompt import PromptFile
from models.rate_limit import RateCounter
from models.referral import Referral, ReferralState
from models.station import District, HotlineNumber, OnDutyPhone, Station
from models.stats import StationDayFigures
from models.storage import StoredBlob, StoredChunk
from models.ticket import (
    Priority,
    ResolutionCategory,
    Tag,
    TagKind,
    TagRule,
    Ticket,
    TicketEvent,
    TicketEventKind,
    TicketSource,
    TicketStatus,
    ticket_tags,
)
from models.user import ApiToken, Role, User
from models.voicemail import Transcript, TranscriptCorrection, Voicemail, VoicemailState

__all__ = [
    "CALL_PATH",
    "Alert",
    "AlertChannel",
    "AlertKind",
    "AlertState",
    "ApiToken",
    "AuditLog",
    "Base",
    "BlockedNumber",
    "CacheGeneration",
    "Call",
    "CallDirection",
    "CallbackRequest",
    "CallbackState",
    "CallEvent",
    "CallOutcome",
    "Caller",
    "CallerVulnerability",
    "Campaign",
    "CampaignAttempt",
    "CampaignEntry",
    "CampaignOutcome",
    "District",
    "EntryState",
    "HotlineNumber",
    "MenuStatus",
    "MenuTemplate",
    "MenuVersion",
    "MenuVersionImmutable",
    "OnDutyPhone",
    "OutboundMessage",
    "OutboundState",
    "PeriodicRun",
    "Priority",
    "PromptFile",
    "QueueVersion",
    "RateCounter",
    "Referral",
    "ReferralState",
    "ResolutionCategory",
    "RetentionPolicy",
    "Role",
    "SmsOptOut",
    "Station",
    "StationDayFigures",
    "StoredBlob",
    "StoredChunk",
    "Tag",
    "TagKind",
    "TagRule",
    "Ticket",
    "TicketEvent",
    "TicketEventKind",
    "TicketSource",
    "TicketStatus",
    "UNASSIGNED_QUEUE",
    "Transcript",
    "TranscriptCorrection",
    "User",
    "Voicemail",
    "VoicemailState",
    "Vulnerability",
    "ticket_tags",
    "utcnow",
]
