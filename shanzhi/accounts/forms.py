from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.utils.translation import gettext_lazy as _

from shanzhi.core.forms import StyledFormMixin


class LoginForm(StyledFormMixin, AuthenticationForm):
    username = forms.CharField(label=_("用户名或手机号"), max_length=150,
                               widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}))
    error_messages = {
        "invalid_login": _("用户名(或手机号)或密码不正确。"),
        "inactive": _("该账号已停用,请联系管理员。"),
    }


class ShanzhiPasswordChangeForm(StyledFormMixin, PasswordChangeForm):
    pass
