from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

from shanzhi.accounts.forms import LoginForm, ShanzhiPasswordChangeForm
from shanzhi.core import audit


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    pass


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    form_class = ShanzhiPasswordChangeForm
    success_url = reverse_lazy("core:home")

    def form_valid(self, form):
        response = super().form_valid(form)
        user = form.user
        if user.must_change_password:
            type(user).objects.filter(pk=user.pk).update(must_change_password=False)
        audit.record("accounts.password_changed", actor=user, obj=user)
        messages.success(self.request, _("Password changed."))
        return response
