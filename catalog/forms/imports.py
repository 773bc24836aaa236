"""The CSV upload form (its rows are checked by `ProductForm`, see catalog/imports.py)."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy


class ImportUploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("CSV file"),
                           help_text=gettext_lazy("UTF-8 CSV with a header row; Meta's feed column names work."))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = getattr(settings, "CATALOG_IMPORT_MAX_BYTES", 25 * 1024 * 1024)
        if upload.size > limit:
            raise forms.ValidationError(_("The file is larger than %(mb)d MB; split it into smaller files.")
                                        % {"mb": limit // (1024 * 1024)})
        raw = upload.read()
        try:
            self.text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise forms.ValidationError(_("The file is not UTF-8 text. In your spreadsheet, save it as "
                                          "“CSV UTF-8” and upload it again."))
        if not self.text.strip():
            raise forms.ValidationError(_("The file is empty."))
        return upload
