"""Signing in with the company's directory: LDAP / Active Directory (django-auth-ldap),
OpenID Connect (mozilla-django-oidc) and CAS (django-cas-ng), each switched on and
configured from the environment (config/settings.py). Every way in ends at an existing
account, matched by 工号; roles suggested by directory groups wait for a 安全管理员."""
