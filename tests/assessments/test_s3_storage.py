"""Uploads and stored reports on an S3-compatible store (django-storages against a local
moto server): evidence goes up through the page and comes back identical, and a signed
sheet's report is stored once in the bucket and downloads identical every time."""

import boto3
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from moto.server import ThreadedMotoServer

from assessments.models import Evidence, StoredReport
from tests.assessments import test_reports
from tests.assessments.conftest import self_sheet
from tests.assessments.test_sheet_files import PDF

BUCKET = "kaoping-media"
CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}

signed_sheet = test_reports.signed_sheet  # the fixture: a reviewed, signed, consolidated sheet


@pytest.fixture(scope="module")
def s3_server() -> str:
    """A moto S3 server on a free loopback port (port 0: the OS picks one, so parallel
    runs on one machine never meet); yields its endpoint URL."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def bucket(s3_server, settings):
    """A fresh bucket, and the settings that STORAGE_S3_* environment variables produce."""
    client = boto3.client("s3", endpoint_url=s3_server, region_name="us-east-1", **CREDENTIALS)
    client.create_bucket(Bucket=BUCKET)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": BUCKET,
                "endpoint_url": s3_server,
                "region_name": "us-east-1",
                "access_key": "testing",
                "secret_key": "testing",
                "addressing_style": "path",
                "signature_version": "s3v4",
                "default_acl": None,
                "file_overwrite": False,
            },
        },
    }
    yield client
    for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        client.delete_object(Bucket=BUCKET, Key=item["Key"])
    client.delete_bucket(Bucket=BUCKET)


def _objects(client) -> dict[str, bytes]:
    return {
        item["Key"]: client.get_object(Bucket=BUCKET, Key=item["Key"])["Body"].read()
        for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", [])
    }


def test_settings_build_the_s3_storage_from_the_environment(monkeypatch):
    import importlib

    import config.settings

    monkeypatch.setenv("STORAGE_S3_BUCKET", BUCKET)
    monkeypatch.setenv("STORAGE_S3_ENDPOINT_URL", "http://minio.intranet:9000")
    options = importlib.reload(config.settings).STORAGES["default"]
    monkeypatch.delenv("STORAGE_S3_BUCKET")
    importlib.reload(config.settings)
    assert options["BACKEND"] == "storages.backends.s3.S3Storage"
    assert options["OPTIONS"]["bucket_name"] == BUCKET
    assert options["OPTIONS"]["endpoint_url"] == "http://minio.intranet:9000"


def test_evidence_goes_to_the_bucket_and_comes_back_identical(
    bucket, campaign, tree, secretary_a, client
):
    sheet = self_sheet(campaign, tree.a)
    client.force_login(secretary_a)
    upload = SimpleUploadedFile("支委会记录.pdf", PDF, "application/pdf")
    response = client.post(
        reverse("evidence_upload", args=[sheet.pk]), {"code": "1.1", "file": upload}
    )
    assert response.status_code == 302
    evidence = Evidence.objects.get()
    assert type(evidence.file.storage._wrapped).__name__ == "S3Storage"
    assert _objects(bucket) == {evidence.file.name: PDF}
    download = client.get(reverse("evidence_download", args=[evidence.pk]))
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF


def test_a_signed_report_is_stored_in_the_bucket_and_downloads_identical(
    bucket,
    signed_sheet,
    dept_admin,
    client,
):
    client.force_login(dept_admin)
    url = reverse("sheet_report", args=[signed_sheet.pk])
    first, second = client.get(url), client.get(url)
    assert first.status_code == 200 and first["Content-Type"] == "application/pdf"
    stored = StoredReport.objects.get(sheet=signed_sheet)
    assert _objects(bucket) == {stored.file.name: first.content}
    assert second.content == first.content
