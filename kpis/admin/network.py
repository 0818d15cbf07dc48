"""The network's identity in the admin: one record that coordinators change, never add
twice nor delete.

The section titles are kept as one JSON object keyed by section
(``kpis.reporting.figures.Section``); the form shows one box per section with its
default title as placeholder, so nobody edits JSON. The colours are refused when white
text on them, or the colour as text on white, would be hard to read (WCAG AA, 4.5:1).
"""

from django import forms
from django.contrib import admin
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

from kpis.core.admin import FigureReferenceAdmin
from kpis.models import Network
from kpis.models.network import MIN_CONTRAST, SINGLE_ID, WHITE, contrast_ratio
from kpis.reporting.figures import Section

TITLE_PREFIX = "section_title_"


def _title_field(section: Section) -> forms.CharField:
    return forms.CharField(
        label=section.label,
        required=False,
        max_length=120,
        widget=forms.TextInput(attrs={"size": 60, "placeholder": section.label}),
        help_text=_("Leeg: de standaardtitel (grijs in het vak)."),
    )


class _NetworkForm(forms.ModelForm):
    class Meta:
        model = Network
        fields = (
            "name",
            "short_name",
            "tagline",
            "home_province",
            "members",
            "logo",
            "primary_colour",
            "accent_colour",
            "intro",
        )
        widgets = {
            "primary_colour": forms.TextInput(attrs={"size": 8, "placeholder": "#0f4c81"}),
            "accent_colour": forms.TextInput(attrs={"size": 8, "placeholder": "#b3441f"}),
            "intro": forms.Textarea(attrs={"rows": 3, "cols": 80}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for section in Section:
            self.initial[TITLE_PREFIX + section.value] = (
                self.instance.section_title(section.value) or ""
            )

    def _readable_on_white(self, name: str) -> str:
        colour = self.cleaned_data.get(name, "")
        if len(colour) == 7 and colour.startswith("#"):
            ratio = contrast_ratio(colour, WHITE)
            if ratio < MIN_CONTRAST:
                raise forms.ValidationError(
                    _(
                        "Te weinig contrast met wit: %(ratio)s:1, minstens %(minimum)s:1 "
                        "(WCAG AA). Witte tekst op deze kleur en deze kleur als tekst op wit "
                        "zijn dan slecht leesbaar; kies een donkerdere kleur."
                    )
                    % {
                        "ratio": number_format(ratio, 2),
                        "minimum": number_format(MIN_CONTRAST, 1),
                    },
                    code="low_contrast",
                )
        return colour.lower()

    def clean_primary_colour(self):
        return self._readable_on_white("primary_colour")

    def clean_accent_colour(self):
        return self._readable_on_white("accent_colour")

    def save(self, commit=True):
        self.instance.section_titles = {
            section.value: title
            for section in Section
            if (title := self.cleaned_data.get(TITLE_PREFIX + section.value, "").strip())
        }
        return super().save(commit)


# One declared box per section (declared, so that the admin's fieldsets know them).
NetworkForm = type(
    "NetworkForm",
    (_NetworkForm,),
    {TITLE_PREFIX + section.value: _title_field(section) for section in Section},
)


@admin.register(Network)
class NetworkAdmin(FigureReferenceAdmin):
    form = NetworkForm
    list_display = ("name", "short_name", "home_province")
    autocomplete_fields = ("members",)

    def get_fieldsets(self, request, obj=None):
        titles = [TITLE_PREFIX + section.value for section in Section]
        if obj is not None and not self.has_change_permission(request, obj):
            titles = ["section_titles"]  # the read-only view shows model fields only
        return [
            (None, {"fields": ["name", "short_name", "tagline"]}),
            (_("Provincie en bibliotheken"), {"fields": ["home_province", "members"]}),
            (_("Uiterlijk"), {"fields": ["logo", "primary_colour", "accent_colour"]}),
            (_("Dashboard"), {"fields": ["intro"]}),
            (_("Titels van de onderdelen"), {"fields": titles}),
        ]

    def has_add_permission(self, request):
        """Only while there is no identity yet: there is one per installation."""
        return not Network.objects.exists() and super().has_add_permission(request)

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        """Straight to the one record: a list of one is a detour."""
        if Network.objects.filter(pk=SINGLE_ID).exists() and self.has_view_or_change_permission(
            request
        ):
            return redirect(reverse("admin:kpis_network_change", args=[SINGLE_ID]))
        return super().changelist_view(request, extra_context)
