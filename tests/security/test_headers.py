"""Security headers and cookies, the Content-Security-Policy, and `check --deploy` in production."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "templates"

EXPECTED_CSP = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
    "base-uri": "'none'",
    "object-src": "'none'",
}


def csp_directives(header: str) -> dict[str, str]:
    directives = {}
    for part in header.split(";"):
        name, _, value = part.strip().partition(" ")
        if name:
            directives[name] = value.strip()
    return directives


@pytest.mark.django_db
class TestHeaders:
    @pytest.mark.parametrize("path", ["/login", "/console/master/realm-settings/", "/console/master/events"])
    def test_strict_csp_and_security_headers_on_console_pages(self, admin_client, master, path):
        if path == "/login":
            admin_client.logout()
        response = admin_client.get(path)
        assert response.status_code == 200
        directives = csp_directives(response["Content-Security-Policy"])
        for name, value in EXPECTED_CSP.items():
            assert directives[name] == value, name
        header = response["Content-Security-Policy"]
        assert "unsafe-inline" not in header and "unsafe-eval" not in header
        assert response["X-Frame-Options"] == "DENY"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Referrer-Policy"] == "same-origin"

    def test_csp_on_errors_and_json_too(self, client, master):
        response = client.get("/console/master/no-such-page")
        assert response.status_code in (302, 404)
        assert "frame-ancestors 'none'" in response["Content-Security-Policy"]

    def test_htmx_is_told_not_to_inject_styles_or_eval(self, client):
        body = client.get("/login").content.decode()
        meta = re.search(r"<meta name=\"htmx-config\" content='([^']*)'>", body)
        assert meta, "base.html must configure htmx through a meta tag"
        import json

        config = json.loads(meta.group(1))
        assert config["includeIndicatorStyles"] is False
        assert config["allowEval"] is False

    def test_session_and_csrf_cookies_are_httponly_or_samesite(self, client, admin_user, master):
        from tests.conftest import ADMIN_PASSWORD

        client.get("/login")
        response = client.post("/login", {"username": "admin", "password": ADMIN_PASSWORD})
        assert response.status_code == 302
        session = response.cookies["sessionid"]
        assert session["httponly"] is True
        assert session["samesite"] == "Lax"


class TestTemplatesAreCspCompatible:
    """Static guard: the policy allows no inline script, style attribute or event handler."""

    TEMPLATE_FILES = sorted(TEMPLATES.rglob("*.html"))

    def test_there_are_templates_to_check(self):
        assert len(self.TEMPLATE_FILES) >= 5

    @pytest.mark.parametrize("path", TEMPLATE_FILES, ids=lambda p: str(p.relative_to(TEMPLATES)))
    def test_no_inline_script_style_or_handlers(self, path):
        text = re.sub(r"\{#.*?#\}", "", path.read_text(), flags=re.S)
        text = re.sub(r"\{%\s*comment\s*%\}.*?\{%\s*endcomment\s*%\}", "", text, flags=re.S)
        problems = []
        for match in re.finditer(r"<script\b([^>]*)>", text, re.I):
            if "src=" not in match.group(1):
                problems.append("inline <script>")
        if re.search(r"<style\b", text, re.I):
            problems.append("<style> element")
        if re.search(r"\sstyle\s*=", text, re.I):
            problems.append("style= attribute")
        if re.search(r"\son[a-z]+\s*=\s*[\"']", text, re.I):
            problems.append("inline event handler (on...=)")
        if re.search(r"\s(?:data-)?hx-on", text, re.I):
            problems.append("hx-on (needs eval)")
        if re.search(r"hx-(?:vals|headers)\s*=\s*[\"']\s*(?:js|javascript):", text, re.I):
            problems.append("hx-vals/hx-headers with js: (needs eval)")
        if re.search(r"hx-trigger\s*=\s*[\"'][^\"']*\[", text, re.I):
            problems.append("hx-trigger filter expression (needs eval)")
        if re.search(r"javascript:", text, re.I):
            problems.append("javascript: URL")
        assert not problems, f"{path.relative_to(ROOT)}: {problems}"

    def test_console_js_uses_no_eval_or_style_attributes(self):
        ours = [*(ROOT / "static" / "js").rglob("*.js"), *ROOT.glob("*/static/**/*.js")]
        ours = [p for p in ours if "vendor" not in p.parts and ".venv" not in p.parts]
        assert ours
        for path in ours:
            text = path.read_text()
            assert not re.search(r"\beval\s*\(|new\s+Function\s*\(", text), path
            assert not re.search(r"setAttribute\(\s*[\"']style", text), path
            assert "innerHTML" not in text or "<style" not in text, path


PRODUCTION_ENV = {
    "CONSOLE_ENV": "production",
    "SECRET_KEY": "x" * 10 + "-production-secret-key-for-the-deploy-check-0123456789abcdef",
    "SECRET_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
    "ALLOWED_HOSTS": "console.example.com,testserver",
    # Behind its TLS-terminating proxy, as production runs (else adminconsole.W001 warns).
    "TRUSTED_PROXIES": "10.0.0.1",
    "DEBUG": "",
}


def run_production(args: list[str], tmp_path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update(PRODUCTION_ENV)
    env["CONSOLE_VAR_DIR"] = str(tmp_path)
    env.pop("DATABASE_URL", None)
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


class TestProductionMode:
    def test_check_deploy_is_clean(self, tmp_path):
        result = run_production(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], tmp_path)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "System check identified no issues" in result.stdout
        assert "WARNINGS" not in result.stderr + result.stdout

    def test_check_warns_about_ssl_redirect_without_a_trusted_proxy(self, tmp_path, monkeypatch):
        monkeypatch.delitem(PRODUCTION_ENV, "TRUSTED_PROXIES")
        result = run_production(["manage.py", "check", "--deploy"], tmp_path)
        assert "adminconsole.W001" in result.stdout + result.stderr

    def test_production_refuses_to_start_without_secret_key(self, tmp_path):
        env_less = dict(PRODUCTION_ENV)
        env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
        env.update(env_less)
        env.pop("SECRET_KEY")
        env["CONSOLE_VAR_DIR"] = str(tmp_path)
        result = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
        assert result.returncode != 0
        assert "SECRET_KEY must be set" in result.stderr

    def test_hsts_secure_cookies_and_https_redirect(self, tmp_path):
        script = r"""
import django, os
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "adminconsole.settings")
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from django.test import Client
c = Client()
plain = c.get("/login")
print("REDIRECT", plain.status_code, plain.get("Location"))
secure = c.get("/login", secure=True)
print("STATUS", secure.status_code)
print("HSTS", secure.get("Strict-Transport-Security"))
print("CSP", secure.get("Content-Security-Policy"))
morsel = secure.cookies["csrftoken"]
print("CSRF_SECURE", bool(morsel["secure"]))
from django.conf import settings
print("SESSION_SECURE", settings.SESSION_COOKIE_SECURE, settings.SESSION_COOKIE_HTTPONLY)
"""
        result = run_production(["-c", script], tmp_path)
        assert result.returncode == 0, result.stderr
        out = dict(line.split(" ", 1) for line in result.stdout.splitlines() if " " in line)
        assert out["REDIRECT"].startswith("301 https://testserver/login")
        assert out["STATUS"] == "200"
        assert "max-age=31536000" in out["HSTS"] and "includeSubDomains" in out["HSTS"]
        assert "default-src 'self'" in out["CSP"]
        assert out["CSRF_SECURE"] == "True"
        assert out["SESSION_SECURE"] == "True True"
