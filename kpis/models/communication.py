"""Communication: channels as data, posts, channel statistics and publications."""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from kpis.core.registration import (
    FigureReference,
    Registration,
    ReportDated,
    end_not_before_start,
    non_negative,
)
from kpis.models.organisations import FigureReferenceSlugManager


class Channel(FigureReference):
    """A communication channel (website, Yammer, Flip, Blink, ...).

    Channels are data: a channel added in the admin gets its own report figures
    (``communication.posts.<code>`` and, if engagement is reported, views, likes and
    the most viewed post) without a code change.
    """

    class Audience(models.TextChoices):
        INTERNAL = "internal", _("intern (medewerkers bibliotheken)")
        EXTERNAL = "external", _("extern (publiek en partners)")

    name = models.CharField(
        _("naam"), max_length=100, unique=True, help_text=_("Naam van het kanaal.")
    )
    slug = models.SlugField(
        _("code"),
        max_length=50,
        unique=True,
        help_text=_("Vaste code; wordt deel van de sleutels van de kanaalfiguren."),
    )
    audience = models.CharField(
        _("doelgroep"),
        max_length=10,
        choices=Audience.choices,
        default=Audience.INTERNAL,
        help_text=_("Bepaalt in welk deel van het jaarverslag de figuren staan."),
    )
    report_posts = models.BooleanField(
        _("aantal berichten in jaarverslag"),
        default=True,
        help_text=_("Toon per jaar het aantal berichten op dit kanaal."),
    )
    report_engagement = models.BooleanField(
        _("views en likes in jaarverslag"),
        default=False,
        help_text=_("Toon per jaar de views, likes en het meest bekeken bericht."),
    )
    order = models.PositiveSmallIntegerField(
        _("volgorde"), default=0, help_text=_("Volgorde in dashboard en verslag.")
    )

    # The code picks the website's figures; the flags decide which figures exist.
    figure_fields = ("slug", "report_posts", "report_engagement")

    objects = FigureReferenceSlugManager()

    class Meta:
        verbose_name = _("kanaal")
        verbose_name_plural = _("kanalen")
        ordering = ["order", "name"]

    def __str__(self):
        return self.name

    def natural_key(self):
        return (self.slug,)


class ChannelPost(Registration):
    report_date_field = "published_on"

    channel = models.ForeignKey(
        Channel,
        on_delete=models.PROTECT,
        related_name="posts",
        verbose_name=_("kanaal"),
        help_text=_("Waar het bericht geplaatst is."),
    )
    title = models.CharField(
        _("titel"), max_length=300, help_text=_("Titel of eerste regel van het bericht.")
    )
    published_on = models.DateField(_("geplaatst op"), help_text=_("Bepaalt het verslagjaar."))
    url = models.URLField(
        _("link"), max_length=500, blank=True, help_text=_("Link naar het bericht.")
    )
    views = models.PositiveIntegerField(_("views"), default=0, help_text=_("Aantal weergaven."))
    likes = models.PositiveIntegerField(_("likes"), default=0, help_text=_("Aantal likes."))

    class Meta:
        verbose_name = _("bericht")
        verbose_name_plural = _("berichten")
        ordering = ["-published_on", "title"]
        indexes = [models.Index(fields=["published_on", "channel"], name="post_date_channel_idx")]
        constraints = [
            non_negative("views", "post_views_non_negative"),
            non_negative("likes", "post_likes_non_negative"),
            models.UniqueConstraint(
                fields=["channel", "published_on", "title"],
                name="post_unique_per_channel_day_title",
                violation_error_message=_(
                    "Er staat al een bericht met deze titel op dit kanaal op deze datum."
                ),
            ),
        ]

    def __str__(self):
        return self.title


class ChannelStatistic(ReportDated):
    """Statistics of a channel over a period, e.g. the website's views in one month."""

    report_date_field = "period_start"

    channel = models.ForeignKey(
        Channel,
        on_delete=models.PROTECT,
        related_name="statistics",
        verbose_name=_("kanaal"),
        help_text=_("Het kanaal waarvan dit de statistiek is."),
    )
    period_start = models.DateField(
        _("periode van"), help_text=_("Eerste dag van de periode; bepaalt het verslagjaar.")
    )
    period_end = models.DateField(
        _("periode tot en met"), help_text=_("Laatste dag van de periode.")
    )
    views = models.PositiveIntegerField(
        _("weergaven"), default=0, help_text=_("Weergaven in de periode.")
    )
    visitors = models.PositiveIntegerField(
        _("bezoekers"), null=True, blank=True, help_text=_("Unieke bezoekers, als bekend.")
    )
    notes = models.TextField(_("notities"), blank=True, help_text=_("Bron of toelichting."))

    class Meta:
        verbose_name = _("kanaalstatistiek")
        verbose_name_plural = _("kanaalstatistieken")
        ordering = ["-period_start", "channel"]
        indexes = [models.Index(fields=["period_start"], name="statistic_period_idx")]
        constraints = [
            non_negative("views", "statistic_views_non_negative"),
            end_not_before_start(
                "period_start", "period_end", "statistic_end_not_before_start", end_required=True
            ),
            models.UniqueConstraint(
                fields=["channel", "period_start"],
                name="statistic_unique_per_channel_period",
                violation_error_message=_("Voor dit kanaal is deze periode al ingevoerd."),
            ),
        ]

    def __str__(self):
        return f"{self.channel} {self.period_start:%d-%m-%Y} – {self.period_end:%d-%m-%Y}"

    def clean(self):
        super().clean()
        # Not a CHECK (yet): a rule of the year policy, which reads one year per record.
        if self.period_start and self.period_end and self.period_end.year > self.period_start.year:
            raise ValidationError(
                {"period_end": _("Een periode valt binnen één kalenderjaar; splits hem per jaar.")}
            )


class Publication(Registration):
    class Kind(models.TextChoices):
        KENNISVERSTERKER = "kennisversterker", _("kennisversterker")
        GLOSSY = "glossy", _("glossy")
        NEWSLETTER = "newsletter", _("nieuwsbrief")
        OTHER = "other", _("overig")

    report_date_field = "published_on"

    kind = models.CharField(
        _("soort"), max_length=20, choices=Kind.choices, help_text=_("Soort publicatie.")
    )
    title = models.CharField(_("titel"), max_length=300, help_text=_("Titel van de publicatie."))
    published_on = models.DateField(
        _("verschenen op"),
        help_text=_("Datum van verzending of verschijning; bepaalt het verslagjaar."),
    )
    recipients = models.PositiveIntegerField(
        _("ontvangers"), null=True, blank=True, help_text=_("Aantal ontvangers, als bekend.")
    )
    url = models.URLField(
        _("link"), max_length=500, blank=True, help_text=_("Link naar de publicatie.")
    )

    class Meta:
        verbose_name = _("publicatie")
        verbose_name_plural = _("publicaties")
        ordering = ["-published_on", "title"]
        indexes = [models.Index(fields=["published_on"], name="publication_date_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "title", "published_on"],
                name="publication_unique_kind_title_date",
                violation_error_message=_("Deze publicatie is al geregistreerd."),
            ),
        ]

    def __str__(self):
        return self.title
