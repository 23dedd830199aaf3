"""System check: the certificate font must exist, or every PDF download would fail."""

from django.core import checks

from .certificates import certificate_font_path


@checks.register(checks.Tags.compatibility)
def certificate_font_check(app_configs, **kwargs):
    path = certificate_font_path()
    if path.is_file():
        return []
    return [
        checks.Warning(
            f"The certificate font {path} does not exist: PDF certificates cannot be made.",
            hint="Install Debian's fonts-noto-cjk, or set REPORTS_CERTIFICATE_FONT (DJANGO_CERTIFICATE_FONT).",
            id="reports.W001",
        )
    ]
