"""Page forms. They parse; the services validate and decide. Fields the services check are
optional here so the service's own field-level message is the one people read."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from shanzhi.areas.models import Area
from shanzhi.core.forms import StyledFormMixin
from shanzhi.deliberation.choices import (
    ActionStatus,
    MeetingFormat,
    MeetingStatus,
    Outcome,
    QuorumBasis,
    TopicClass,
    TopicStatus,
    VenueKind,
)
from shanzhi.deliberation.models import Meeting, Topic, Venue


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data, initial=None):
        if not data:
            return []
        items = data if isinstance(data, list | tuple) else [data]
        return [super(MultipleFileField, self).clean(item, initial) for item in items]


def _villages(user):
    return Area.objects.for_user(user).current().filter(level="village").select_related("parent").order_by("path")


class VillageChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.parent.name if obj.parent_id else ''} · {obj.name}"


class TopicForm(StyledFormMixin, forms.Form):
    title = forms.CharField(label=_("Topic"), required=False, max_length=200)
    topic_class = forms.ChoiceField(
        label=_("Class"), choices=TopicClass.choices, widget=forms.RadioSelect, required=False
    )
    description = forms.CharField(
        label=pgettext_lazy("deliberation", "Details"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("What is the matter, where, since when, what you hope for."),
    )
    attachments = MultipleFileField(
        label=_("Photos or documents"),
        required=False,
        help_text=_("Up to 5 photos (JPEG, PNG, WebP) or PDF files, 10 MB each."),
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["attachments"].widget.attrs["accept"] = "image/jpeg,image/png,image/webp,application/pdf"
        self.staff = bool(user and user.is_staff_member)
        if self.staff:
            self.fields["household_number"] = forms.CharField(
                label=_("On behalf of household (household number)"),
                required=False,
                max_length=40,
                help_text=_("Leave empty when a cadre raises the topic for the village."),
            )
            self.fields["raiser_name"] = forms.CharField(
                label=_("Name of the villager who raised it"), required=False, max_length=50
            )
            self.fields["village"] = VillageChoiceField(
                label=_("Village"), queryset=_villages(user), required=False, empty_label=_("(the household's village)")
            )
        for name in ("topic_class",):
            self.fields[name].widget.attrs["class"] = "choices"


class DeclineForm(StyledFormMixin, forms.Form):
    reason = forms.CharField(
        label=_("Reason (shown to the villager who raised it)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class AcceptForm(StyledFormMixin, forms.Form):
    note = forms.CharField(label=_("Note"), required=False, max_length=2000)


class ResultForm(StyledFormMixin, forms.Form):
    result = forms.CharField(
        label=_("Public result"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Villagers read this on the results board."),
    )


class MeetingChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{timezone.localtime(obj.scheduled_at):%m-%d %H:%M} {obj.get_format_display()} · {obj.venue.name}"


class ScheduleForm(StyledFormMixin, forms.Form):
    meeting = MeetingChoiceField(label=_("Meeting"), queryset=Meeting.objects.none(), required=True)

    def __init__(self, *args, topic: Topic, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["meeting"].queryset = (
            Meeting.objects.for_user(user)
            .filter(village=topic.village, status__in=[MeetingStatus.PLANNED, MeetingStatus.OPEN])
            .select_related("venue")
            .order_by("scheduled_at")
        )


class VenueChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.village.name} · {obj.name}({obj.get_kind_display()})"


class MeetingForm(StyledFormMixin, forms.Form):
    venue = VenueChoiceField(label=_("Venue"), queryset=Venue.objects.none(), required=False)
    format = forms.ChoiceField(label=_("Format"), choices=[("", "—"), *MeetingFormat.choices], required=False)
    scheduled_at = forms.DateTimeField(
        label=_("Time"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
    host_name = forms.CharField(label=_("Host"), required=False, max_length=50)
    minute_taker_name = forms.CharField(label=_("Minute-taker"), required=False, max_length=50)
    title = forms.CharField(label=_("Title (optional)"), required=False, max_length=120)
    topics = forms.ModelMultipleChoiceField(
        label=_("Topics on the agenda"),
        queryset=Topic.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["venue"].queryset = Venue.objects.for_user(user).active().select_related("village")
        self.fields["topics"].queryset = (
            Topic.objects.for_user(user).filter(status=TopicStatus.ACCEPTED).select_related("village")
        )
        self.fields["topics"].widget.attrs["class"] = "checkbox"


class AttendanceForm(StyledFormMixin, forms.Form):
    residents_present = forms.IntegerField(
        label=_("Residents present"), required=False, widget=forms.NumberInput(attrs={"inputmode": "numeric"})
    )
    households_represented = forms.IntegerField(
        label=_("Households represented"), required=False, widget=forms.NumberInput(attrs={"inputmode": "numeric"})
    )
    sign_in_sheet = forms.FileField(label=_("Photo of the paper sign-in sheet"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sign_in_sheet"].widget.attrs.update({"accept": "image/*", "capture": "environment"})


class MinutesForm(StyledFormMixin, forms.Form):
    minutes = forms.CharField(label=_("Minutes"), required=False, widget=forms.Textarea(attrs={"rows": 8}))
    note = forms.CharField(
        label=_("Reason for the change"),
        required=False,
        max_length=200,
        help_text=_("Needed once the meeting is closed; the earlier text is kept."),
    )


class NotesForm(StyledFormMixin, forms.Form):
    notes = forms.CharField(label=_("Notes on this topic"), required=False, widget=forms.Textarea(attrs={"rows": 3}))


class DecisionForm(StyledFormMixin, forms.Form):
    votes_for = forms.IntegerField(
        label=_("For"), required=False, widget=forms.NumberInput(attrs={"inputmode": "numeric", "min": 0})
    )
    votes_against = forms.IntegerField(
        label=_("Against"), required=False, widget=forms.NumberInput(attrs={"inputmode": "numeric", "min": 0})
    )
    votes_abstain = forms.IntegerField(
        label=_("Abstain"), required=False, widget=forms.NumberInput(attrs={"inputmode": "numeric", "min": 0})
    )
    outcome = forms.ChoiceField(label=_("Outcome"), choices=Outcome.choices, widget=forms.RadioSelect, required=False)
    summary = forms.CharField(label=_("What was decided"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["outcome"].widget.attrs["class"] = "choices"


class ActionForm(StyledFormMixin, forms.Form):
    title = forms.CharField(label=_("What to do"), required=False, max_length=200)
    owner_name = forms.CharField(label=_("Owner"), required=False, max_length=50)
    deadline = forms.DateField(label=_("Deadline"), required=False, widget=forms.DateInput(attrs={"type": "date"}))


class ProgressForm(StyledFormMixin, forms.Form):
    note = forms.CharField(label=_("Progress"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[
            (ActionStatus.IN_PROGRESS, ActionStatus.IN_PROGRESS.label),
            (ActionStatus.DONE, ActionStatus.DONE.label),
        ],
        required=False,
    )


class EscalateForm(StyledFormMixin, forms.Form):
    category = forms.ModelChoiceField(label=_("Case category"), queryset=None, required=True)
    priority = forms.ChoiceField(label=_("Priority"), choices=(), required=True)
    description = forms.CharField(
        label=_("Description for the case (optional)"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, **kwargs):
        from shanzhi.cases.choices import Priority
        from shanzhi.cases.models import Category

        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = Category.objects.filter(active=True)
        self.fields["priority"].choices = Priority.choices
        self.fields["priority"].initial = Priority.NORMAL


class VenueForm(StyledFormMixin, forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=[("", "—"), *VenueKind.choices], required=False)
    name = forms.CharField(label=_("Name"), required=False, max_length=100)
    village = VillageChoiceField(label=_("Village"), queryset=Area.objects.none(), required=False)
    host_household_number = forms.CharField(label=_("Host household (household number)"), required=False, max_length=40)
    location = forms.CharField(label=_("Location"), required=False, max_length=200)
    capacity = forms.IntegerField(
        label=_("Capacity (people)"), required=False, widget=forms.NumberInput(attrs={"inputmode": "numeric"})
    )
    latitude = forms.FloatField(label=_("Latitude"), required=False)
    longitude = forms.FloatField(label=_("Longitude"), required=False)
    photo = forms.FileField(label=_("Photo"), required=False)
    active = forms.BooleanField(label=_("In use"), required=False, initial=True)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["village"].queryset = _villages(user)
        self.fields["photo"].widget.attrs["accept"] = "image/jpeg,image/png,image/webp"


class QuorumForm(StyledFormMixin, forms.Form):
    basis = forms.ChoiceField(label=_("Counted by"), choices=QuorumBasis.choices)
    numerator = forms.IntegerField(label=_("Share (numerator)"), min_value=1, max_value=9)
    denominator = forms.IntegerField(label=_("Share (denominator)"), min_value=2, max_value=10)
