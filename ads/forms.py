from __future__ import annotations

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from ads.models import AdsSettings


class AdsSettingsForm(forms.ModelForm):
    class Meta:
        model = AdsSettings
        fields = ["test_event_code", "limited_data_use"]

    def clean_test_event_code(self) -> str:
        code = (self.cleaned_data.get("test_event_code") or "").strip()
        if code and not re.fullmatch(r"[A-Za-z0-9]{1,40}", code):
            raise forms.ValidationError(_("Use the code Events Manager shows (letters and digits, e.g. TEST12345)."))
        return code

    def values(self) -> dict:
        return {name: self.cleaned_data[name] for name in self._meta.fields}
