"""Where uploaded media (photos, signatures, issue files) is kept: ICV_MEDIA_STORAGE_URL.

Empty: local disk under ICV_MEDIA_ROOT, fine for one machine. Two or more machines share an
S3-compatible object store (AWS S3, SeaweedFS, MinIO, Ceph...), named by one URL:

    s3://ACCESS_KEY:SECRET_KEY@host:port/bucket[/prefix]?region=eu-west-2&secure=true

Keys are URL-encoded (a secret key's `/` is `%2F`); left out, boto3 finds credentials itself
(an instance role, AWS_* variables). `secure=false` talks plain HTTP (a store on the same private
network only). `addressing=virtual` asks for bucket.host URLs; path style is the default, as
every S3-compatible server understands it.

The files are private whatever the bucket's policy says: every object is written with the
`private` ACL, and the app serves them itself through its permission-checked views. No page
shows a URL of the storage's (the admin leaves file fields out); one it signed would expire
after a minute."""

from urllib.parse import parse_qs, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

LOCAL_DISK = {"BACKEND": "django.core.files.storage.FileSystemStorage"}

_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")
_KNOWN_PARAMETERS = {"region", "secure", "addressing"}


def media_storage(url: str) -> dict:
    """The STORAGES["default"] entry for ICV_MEDIA_STORAGE_URL (local disk when it is empty).
    Raises ImproperlyConfigured, saying what to fix, for a URL it cannot use."""
    if not url:
        return LOCAL_DISK
    parts = urlsplit(url)

    def refuse(problem: str):
        raise ImproperlyConfigured(
            f"ICV_MEDIA_STORAGE_URL {problem}; expected "
            "s3://ACCESS_KEY:SECRET_KEY@host:port/bucket?region=REGION&secure=true "
            "(docs/deployment.md, 'Media storage')."
        )

    if parts.scheme != "s3":
        refuse(f"must start with s3://, not {parts.scheme or 'nothing'}://")
    if not parts.hostname:
        refuse("names no host (for AWS: s3.REGION.amazonaws.com)")
    bucket, _, prefix = parts.path.lstrip("/").partition("/")
    if not bucket:
        refuse("names no bucket")
    query = {name: values[-1] for name, values in parse_qs(parts.query).items()}
    unknown = set(query) - _KNOWN_PARAMETERS
    if unknown:
        refuse(f"has unknown parameters ({', '.join(sorted(unknown))})")
    secure = query.get("secure", "true").lower()
    if secure not in _TRUE + _FALSE:
        refuse(f"has secure={secure}, which is neither true nor false")
    addressing = query.get("addressing", "path")
    if addressing not in ("path", "virtual"):
        refuse(f"has addressing={addressing}, which is neither path nor virtual")
    try:
        port = parts.port
    except ValueError:
        refuse("has a port that is not a number")
    use_ssl = secure in _TRUE
    host = parts.hostname if port is None else f"{parts.hostname}:{port}"
    options = {
        "bucket_name": bucket,
        "location": prefix.strip("/"),
        "endpoint_url": f"{'https' if use_ssl else 'http'}://{host}",
        "region_name": query.get("region") or None,
        "use_ssl": use_ssl,
        "addressing_style": addressing,
        "signature_version": "s3v4",
        # Private, whatever the bucket's own policy: no object is ever readable without a key.
        "default_acl": "private",
        "querystring_auth": True,
        "querystring_expire": 60,
        # A second photo with the same name gets a name of its own; nothing is overwritten.
        "file_overwrite": False,
    }
    if parts.username:
        options["access_key"] = unquote(parts.username)
        options["secret_key"] = unquote(parts.password or "")
    return {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options}


def describe(url: str) -> str:
    """The storage, for logs and checks, without its keys."""
    if not url:
        return "local disk"
    parts = urlsplit(url)
    return f"s3://{parts.hostname}{f':{parts.port}' if parts.port else ''}{parts.path}"
