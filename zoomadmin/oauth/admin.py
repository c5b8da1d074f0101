"""allauth's own admin pages, made safe: none of them may show a token or a client secret.

- ``SocialToken``: unregistered (its list shows the start of every access token).
- ``SocialAccount``: unregistered (a tenant's page shows who authorized it; the accounts of every
  tenant in one list would cross tenant boundaries).
- ``SocialApp``: superusers only, and the secret is write-only: it is never rendered, an empty
  field keeps the stored (encrypted) secret.
"""

from __future__ import annotations

from allauth.socialaccount.admin import SocialAppAdmin as BaseSocialAppAdmin
from allauth.socialaccount.admin import SocialAppForm as BaseSocialAppForm
from allauth.socialaccount.models import SocialAccount, SocialApp, SocialToken
from django import forms
from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.utils.decorators import method_decorator
from django.views.decorators.debug import sensitive_post_parameters

for model in (SocialToken, SocialAccount, SocialApp):
    if admin.site.is_registered(model):
        admin.site.unregister(model)


class SocialAppForm(BaseSocialAppForm):
    secret = forms.CharField(
        label="Secret key",
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"size": "100"}),
        help_text="Stored encrypted and never shown again; leave empty to keep the current one.",
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._stored_secret = self.instance.secret
        self.initial.pop("secret", None)

    def clean_secret(self) -> str:
        return self.cleaned_data["secret"] or self._stored_secret


@admin.register(SocialApp)
class SocialAppAdmin(BaseSocialAppAdmin):
    form = SocialAppForm

    # Error reports (500 e-mails, loggers that render the request) would quote the POSTed secret.
    @method_decorator(sensitive_post_parameters("secret"))
    def changeform_view(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        return super().changeform_view(request, *args, **kwargs)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_add_permission(self, request: HttpRequest) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return request.user.is_active and request.user.is_superuser
