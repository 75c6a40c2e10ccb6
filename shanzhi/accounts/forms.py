from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from shanzhi.accounts import security
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

    def clean(self):
        try:
            return super().clean()
        except ValidationError:
            refusal = security.refusal_of(self.request)
            if refusal is not None and refusal.code in (security.ACCOUNT_LOCKED, security.THROTTLED):
                raise ValidationError(refusal.message(), code=refusal.code) from None
            raise

    @property
    def refusal_code(self) -> str:
        refusal = security.refusal_of(self.request)
        return refusal.code if refusal else ""


class CodeForm(StyledFormMixin, forms.Form):
    """One 6-digit code from an authenticator app."""

    code = forms.CharField(
        label=_("Verification code"),
        min_length=6,
        max_length=8,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "pattern": "[0-9 ]*", "autofocus": True}
        ),
        help_text=_("The 6 digits your authenticator app shows now."),
    )

    def clean_code(self):
        code = "".join(ch for ch in self.cleaned_data["code"] if not ch.isspace())
        if not code.isdigit() or len(code) != 6:
            raise ValidationError(_("Enter the 6 digits shown in the app."), code="format")
        return code


class ShanzhiPasswordChangeForm(StyledFormMixin, PasswordChangeForm):
    def clean_new_password1(self):
        password = self.cleaned_data.get("new_password1")
        if password and self.user.check_password(password):
            raise ValidationError(_("The new password must differ from the current one."), code="password_unchanged")
        return password
