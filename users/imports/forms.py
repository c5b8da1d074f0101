"""The upload form of the CSV import: the account, Zoom's way of creating, the file. Each row
is then checked by the add form itself (``users.imports.reading.UserImportRowForm``)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile

from users.forms import CREATE_ACTION_CHOICES
from users.imports.reading import MAX_BYTES, MAX_ROWS, ImportFileError, ImportPreview, preview


class UserImportForm(forms.Form):
    """The upload. A valid form has read and checked every row (``self.preview``) without a
    request to Zoom; a file that cannot be read as users is an error on ``file``."""

    tenant = forms.ModelChoiceField(queryset=None, label="Zoom account")
    action = forms.ChoiceField(
        label="How to create",
        choices=CREATE_ACTION_CHOICES,
        initial="create",
        widget=forms.RadioSelect,
    )
    file = forms.FileField(
        label="CSV file",
        help_text=f"UTF-8 (Excel: “CSV UTF-8”), a header row, at most {MAX_ROWS:,} rows and "
        f"{MAX_BYTES // (1024 * 1024)} MB. Columns as Zoom names them: email and type "
        "(required), first_name, last_name, display_name, dept, job_title, password "
        "(autoCreate only).",
    )

    def __init__(self, *args: Any, tenants: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["tenant"].queryset = tenants
        if len(tenants) == 1:
            self.fields["tenant"].initial = tenants[0].pk
        self.preview: ImportPreview | None = None

    def clean_file(self) -> UploadedFile:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(
                f"The file has {upload.size:,} bytes; at most {MAX_BYTES:,} are read. Split it "
                "into smaller files."
            )
        return upload

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.errors:
            return data
        upload = data["file"]
        upload.seek(0)
        try:
            self.preview = preview(
                tenant=data["tenant"], action=data["action"], data=upload.read(MAX_BYTES + 1)
            )
        except ImportFileError as error:
            self.add_error("file", str(error))
        return data
