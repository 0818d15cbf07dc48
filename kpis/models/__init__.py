from .activities import (
    KnowledgeCircle,
    KnowledgeCircleMeeting,
    SupportActivity,
    SupportKind,
    Training,
)
from .base import ClosedYearError, Registration, ReportDated
from .closing import ClosedYear, YearReopening
from .communication import Channel, ChannelPost, ChannelStatistic, Publication
from .digital import InformationPoint
from .evidence import Evidence
from .imports import ImportBatch
from .jobs import TransportImportJob
from .network import Network
from .notifications import NotificationPreference
from .organisations import Organisation, Province, Theme
from .report_text import ReportText
from .targets import Target
from .testimonials import Testimonial
from .transport import TransportMonthTotal, TransportReservation

__all__ = [
    "Channel",
    "ClosedYear",
    "ClosedYearError",
    "Evidence",
    "ImportBatch",
    "YearReopening",
    "ChannelPost",
    "ChannelStatistic",
    "InformationPoint",
    "KnowledgeCircle",
    "KnowledgeCircleMeeting",
    "NotificationPreference",
    "Network",
    "Organisation",
    "Province",
    "Publication",
    "Registration",
    "ReportDated",
    "ReportText",
    "SupportActivity",
    "SupportKind",
    "Target",
    "Testimonial",
    "Theme",
    "Training",
    "TransportImportJob",
    "TransportMonthTotal",
    "TransportReservation",
]
