"""A real OpenLDAP server (Debian's slapd) for the directory sign-in tests: its own
configuration and database in a temporary folder, loaded from an LDIF, listening on a
loopback port the OS picks, stopped at the end."""

import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

SUFFIX = "dc=example,dc=com"
ADMIN_DN = f"cn=admin,{SUFFIX}"
ADMIN_PASSWORD = "Admin#secret1"
BIND_DN = f"cn=kaoping,ou=services,{SUFFIX}"
BIND_PASSWORD = "Bind#secret1"
PEOPLE_BASE = f"ou=people,{SUFFIX}"
GROUPS_BASE = f"ou=groups,{SUFFIX}"
REVIEWERS_GROUP = f"cn=kaoping-reviewers,{GROUPS_BASE}"
# (uid, 工号 or None, password, groups)
PEOPLE = [
    ("zhangsan", "sec_a", "Zhang#dir2026", [REVIEWERS_GROUP]),
    ("wangwu", "99999", "Wang#dir2026", []),
    ("zhaoliu", None, "Zhao#dir2026", []),
    ("qianqi", "reviewer", "Qian#dir2026", []),
]

SLAPD = shutil.which("slapd") or ("/usr/sbin/slapd" if Path("/usr/sbin/slapd").exists() else None)
SLAPADD = shutil.which("slapadd") or (
    "/usr/sbin/slapadd" if Path("/usr/sbin/slapadd").exists() else None
)
SCHEMAS = Path("/etc/ldap/schema")
MODULES = Path("/usr/lib/ldap")


def missing() -> str | None:
    """Why slapd cannot run here (None: it can)."""
    if not SLAPD or not SLAPADD:
        return "slapd is not installed (Debian packages slapd and ldap-utils: make system-deps)"
    if not (SCHEMAS / "inetorgperson.schema").exists():
        return f"OpenLDAP's schemas are missing from {SCHEMAS}"
    return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def ldif() -> str:
    entries = [
        f"dn: {SUFFIX}\nobjectClass: dcObject\nobjectClass: organization\n"
        "dc: example\no: Huaxi Energy",
        f"dn: ou=people,{SUFFIX}\nobjectClass: organizationalUnit\nou: people",
        f"dn: ou=groups,{SUFFIX}\nobjectClass: organizationalUnit\nou: groups",
        f"dn: ou=services,{SUFFIX}\nobjectClass: organizationalUnit\nou: services",
        f"dn: {BIND_DN}\nobjectClass: person\ncn: kaoping\nsn: kaoping\n"
        f"userPassword: {BIND_PASSWORD}",
    ]
    for uid, number, password, _groups in PEOPLE:
        entry = (
            f"dn: uid={uid},{PEOPLE_BASE}\nobjectClass: inetOrgPerson\nuid: {uid}\n"
            f"cn: {uid}\nsn: {uid}\nuserPassword: {password}"
        )
        if number:
            entry += f"\nemployeeNumber: {number}"
        entries.append(entry)
    members = [
        f"uid={uid},{PEOPLE_BASE}" for uid, _n, _p, groups in PEOPLE if REVIEWERS_GROUP in groups
    ]
    entries.append(
        f"dn: {REVIEWERS_GROUP}\nobjectClass: groupOfNames\ncn: kaoping-reviewers\n"
        + "\n".join(f"member: {m}" for m in members)
    )
    return "\n\n".join(entries) + "\n"


def config(folder: Path) -> str:
    return f"""include {SCHEMAS}/core.schema
include {SCHEMAS}/cosine.schema
include {SCHEMAS}/inetorgperson.schema
modulepath {MODULES}
moduleload back_mdb
pidfile {folder}/slapd.pid
argsfile {folder}/slapd.args

database mdb
suffix "{SUFFIX}"
rootdn "{ADMIN_DN}"
rootpw {ADMIN_PASSWORD}
directory {folder}/data
maxsize 10485760
access to attrs=userPassword by anonymous auth by self read by * none
access to * by * read
"""


@dataclass
class Slapd:
    uri: str
    process: subprocess.Popen

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start(folder: Path) -> Slapd:
    (folder / "data").mkdir(parents=True)
    conf = folder / "slapd.conf"
    conf.write_text(config(folder))
    (folder / "data.ldif").write_text(ldif())
    subprocess.run(
        [SLAPADD, "-f", str(conf), "-l", str(folder / "data.ldif")],
        check=True,
        capture_output=True,
    )
    port = free_port()
    uri = f"ldap://127.0.0.1:{port}"
    log = (folder / "slapd.log").open("w")
    # -d 0: stays in the foreground (the fixture owns the process), logging nothing.
    process = subprocess.Popen(
        [SLAPD, "-f", str(conf), "-h", uri + "/", "-d", "0"], stdout=log, stderr=log
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"slapd exited: {(folder / 'slapd.log').read_text()[-2000:]}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return Slapd(uri, process)
        time.sleep(0.1)
    process.kill()
    raise RuntimeError("slapd did not start listening within 20 s")
