from kpis.core.registration import ClosedYearError, Registration, ReportDated
from kpis.models.activities import (
    KnowledgeCircle,
    KnowledgeCircleMeeting,
    SupportActivity,
    SupportKind,
    Training,
)
from kpis.models.closing import ClosedYear, YearReopening
from kpis.models.communication import Channel, ChannelPost, ChannelStatistic, Publication
from kpis.models.digital import InformationPoint
from kpis.models.events import Event
from kpis.models.evidence import Evidence
from kpis.models.imports import ImportBatch, ImportBatchRange
from kpis.models.jobs import ReportBuild, TransportImportJob
from kpis.models.network import Network
from kpis.models.notifications import NotificationPreference
from kpis.models.organisations import Organisation, Province, Theme
from kpis.models.report_text import ReportText
from kpis.models.targets import Target
from kpis.models.testimonials import Testimonial
from kpis.models.transport import (
    TransportDayTotal,
    TransportMonthTotal,
    TransportReservation,
    TransportYearTotal,
)

__all__ = [
    "Channel",
    "ClosedYear",
    "ClosedYearError",
    "Event",
    "Evidence",
    "ImportBatch",
    "ImportBatchRange",
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
    "ReportBuild",
    "ReportText",
    "SupportActivity",
    "SupportKind",
    "Target",
    "Testimonial",
    "Theme",
    "Training",
    "TransportImportJob",
    "TransportDayTotal",
    "TransportMonthTotal",
    "TransportReservation",
    "TransportYearTotal",
]
