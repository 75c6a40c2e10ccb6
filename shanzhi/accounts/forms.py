from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.utils.translation import gettext_lazy as _

from shanzhi.core.forms import StyledFormMixin


class LoginForm(StyledFormMixin, AuthenticationForm):
    username = forms.CharField(
        label=_("Username or mobile"),
        max_length=150,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )
    error_messages = {
        "invalid_login": _("Incorrect username (or mobile) or password."),
        "inactive": _("This account has been deactivated. Please contact the administrator."),
    }


class ShanzhiPasswordChangeForm(StyledFormMixin, PasswordChangeForm):
    pass
