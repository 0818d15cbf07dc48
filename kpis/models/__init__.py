from .activities import (
    KnowledgeCircle,
    KnowledgeCircleMeeting,
    SupportActivity,
    SupportKind,
    Training,
)
from .base import Registration, ReportDated
from .communication import Channel, ChannelPost, ChannelStatistic, Publication
from .digital import InformationPoint
from .organisations import Organisation, Province, Theme
from .targets import Target
from .testimonials import Testimonial
from .transport import TransportReservation

__all__ = [
    "Channel",
    "ChannelPost",
    "ChannelStatistic",
    "InformationPoint",
    "KnowledgeCircle",
    "KnowledgeCircleMeeting",
    "Organisation",
    "Province",
    "Publication",
    "Registration",
    "ReportDated",
    "SupportActivity",
    "SupportKind",
    "Target",
    "Testimonial",
    "Theme",
    "Training",
    "TransportReservation",
]
