"""Who may do what. Three roles; every privileged action is checked on the server, in the
handler, because any HTTP client can call a Gradio event once it has loaded the page.

- viewer: explore posts and predict (a visitor of a public Space)
- annotator: also save labels
- admin: also train, distill, promote, roll back, ask Claude, export, see the store path

How users are known, by what is configured (`AccessPolicy.from_env`):
- nothing: one local user who has every role (running it on your own machine, as before);
- a users file (`COT_EXPLORER_USERS_FILE`, else `~/.config/cot-explorer/users` when it
  exists; lines `name:role:pbkdf2-hash`, written by `cot-explorer users add`) and/or `COT_EXPLORER_USERS` (`name:role:password` entries, comma-separated): Gradio's
  login page, each user with the role named there;
- on a Hugging Face Space (`SPACE_ID` is set): sign-in with Hugging Face (`hf_oauth: true` in
  the README's front matter); the usernames in the Space variables `COT_EXPLORER_ADMINS` and
  `COT_EXPLORER_ANNOTATORS` get those roles, everyone else (signed in or not) is a viewer.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
import threading
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Callable, Mapping

import platformdirs

from .errors import CotExplorerError
from .limits import check_name, person_key

USERS_FILE_ENV = "COT_EXPLORER_USERS_FILE"
USERS_ENV = "COT_EXPLORER_USERS"
ADMINS_ENV = "COT_EXPLORER_ADMINS"
ANNOTATORS_ENV = "COT_EXPLORER_ANNOTATORS"
LOCAL_USER = "local"
PBKDF2_ITERATIONS = 200_000

log = logging.getLogger(__name__)


class Role(StrEnum):
    VIEWER = "viewer"
    ANNOTATOR = "annotator"
    ADMIN = "admin"


class Action(StrEnum):
    EXPLORE = "explore posts"
    PREDICT = "predict"
    SAVE_LABELS = "save labels"
    TRAIN = "train"
    DISTILL = "start or cancel a distillation round"
    PROMOTE = "promote or roll back a model version"
    ASK_CLAUDE = "ask Claude"
    EXPORT = "export"
    IMPORT = "import a dataset file"
    SEE_STORE_PATH = "see the store's path"
    DELETE_WORK = "delete an upload with saved labels, teacher answers or a place in a held-out set"
    SET_BLIND = "make a split's annotation blind, or end it (and see its labels while it is)"


ALLOWED: dict[Role, frozenset[Action]] = {
    Role.VIEWER: frozenset({Action.EXPLORE, Action.PREDICT}),
    Role.ANNOTATOR: frozenset({Action.EXPLORE, Action.PREDICT, Action.SAVE_LABELS}),
    Role.ADMIN: frozenset(Action),
}


class PermissionDenied(CotExplorerError):
    """A user asked for an action their role does not allow."""


@dataclass(frozen=True)
class User:
    name: str | None          # None: a visitor who has not signed in
    role: Role

    def may(self, action: Action) -> bool:
        return action in ALLOWED[self.role]

    @property
    def label(self) -> str:
        return self.name or "visitor"


def require(user: User, action: Action) -> None:
    if not user.may(action):
        needed = next(r for r in (Role.ANNOTATOR, Role.ADMIN) if action in ALLOWED[r])
        who = f"{user.label} ({user.role})" if user.name else "a visitor who has not signed in"
        raise PermissionDenied(f"{who} may not {action}: that needs the {needed} role")


def hash_password(password: str, salt: str | None = None, iterations: int = PBKDF2_ITERATIONS) -> str:
    salt = salt or secrets.token_hex(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt.encode(), iterations).hex()
    return f"pbkdf2_sha256${iterations}${salt}${digest}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, iterations, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "pbkdf2_sha256":
        return False
    mine = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt.encode(), int(iterations)).hex()
    return hmac.compare_digest(mine, digest)


@dataclass(frozen=True)
class Account:
    role: Role
    secret: str               # a pbkdf2 hash; the password itself when `plain` (from the environment)
    plain: bool = False

    def accepts(self, password: str) -> bool:
        if self.plain:  # compared in constant time all the same
            return hmac.compare_digest(password.encode("utf-8"), self.secret.encode("utf-8"))
        return verify_password(password, self.secret)


def _role(value: str, where: str) -> Role:
    try:
        return Role(value.strip().lower())
    except ValueError:
        raise CotExplorerError(f"{where}: role {value!r} is not one of {', '.join(r.value for r in Role)}") from None


def _not_reserved(name: str, where: str) -> None:
    """"local" is the name of the one local user of an app without users: a person signed in
    under it would share that user's drafts in the browser, and read as no one signed in."""
    if name == LOCAL_USER:
        raise CotExplorerError(f"{where}: {LOCAL_USER!r} is the app's own name for its one local user; choose another")


def read_users_file(path: Path) -> dict[str, Account]:
    accounts: dict[str, Account] = {}
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as e:
        raise CotExplorerError(f"cannot read the users file {path}: {e.strerror}") from e
    for n, line in enumerate(lines, start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        parts = line.strip().split(":", 2)
        if len(parts) != 3:
            raise CotExplorerError(f"{path}:{n}: expected 'name:role:password-hash'")
        name, role, secret = parts
        name = check_name(name, f"{path}:{n}: the user name")   # as it reads, not as written
        _not_reserved(name, f"{path}:{n}: the user name")
        accounts[name] = Account(_role(role, f"{path}:{n}"), secret)
    return accounts


def parse_users_env(value: str) -> dict[str, Account]:
    accounts: dict[str, Account] = {}
    for entry in filter(None, (e.strip() for e in value.split(","))):
        parts = entry.split(":", 2)
        if len(parts) != 3 or not parts[2]:
            raise CotExplorerError(f"${USERS_ENV}: expected 'name:role:password' entries, got {entry.split(':')[0]!r}...")
        name, role, password = parts
        name = check_name(name, f"${USERS_ENV}: a user name")
        _not_reserved(name, f"${USERS_ENV}: a user name")
        accounts[name] = Account(_role(role, f"${USERS_ENV}"), password, plain=True)
    return accounts


def default_users_file() -> Path:
    return Path(platformdirs.user_config_dir("cot-explorer", appauthor=False)) / "users"


def add_user(path: Path, name: str, role: str, password: str) -> None:
    """Add or replace one user in a users file (only the password's hash is written)."""
    name = check_name(name, "the user name")
    if ":" in name:
        raise CotExplorerError("a user name cannot contain ':'")
    _not_reserved(name, "the user name")
    if len(password) < 8:
        raise CotExplorerError("choose a password of at least 8 characters")
    accounts = read_users_file(path) if path.exists() else {}
    # labels are one annotator's whatever the case of the name: two accounts "Bob" and "bob"
    # would sign in as two people and count as one
    twin = next((a for a in accounts if a != name and person_key(a) == person_key(name)), None)
    if twin is not None:
        raise CotExplorerError(f"a user {twin!r} exists already, and names that differ only in capitals are one "
                               f"annotator in the store's labels; add {twin!r} again to replace it, or choose "
                               "another name")
    accounts[name] = Account(_role(role, "--role"), hash_password(password))
    _write_users_file(path, accounts)


def remove_user(path: Path, name: str) -> None:
    """Take one user out of a users file."""
    accounts = read_users_file(path) if path.exists() else {}
    if name not in accounts:
        raise CotExplorerError(f"no user {name!r} in {path} (it has: {', '.join(accounts) or 'none'})")
    del accounts[name]
    _write_users_file(path, accounts)


def _write_users_file(path: Path, accounts: Mapping[str, Account]) -> None:
    """Written whole beside it and renamed into place: a running app never reads half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text("# name:role:password hash (cot-explorer users add)\n"
                   + "".join(f"{n}:{a.role.value}:{a.secret}\n" for n, a in accounts.items()), encoding="utf-8")
    tmp.chmod(0o600)
    os.replace(tmp, path)


class UsersFile:
    """The users file as it is now, with the environment's accounts over it: read again when it
    changed, so that `cot-explorer users` (a role changed, a user removed, a password reset)
    applies at the next sign-in or action. It applied at the app's next start, and nothing said
    so: a removed user still signed in, a demoted one still saved. A file that cannot be read
    while the app runs keeps the accounts last read (said in the log, read again at each action
    until it reads), as a restart would refuse to start; a file deleted leaves no one to sign in.
    An account whose password hash changed (`users add` again: a reset, a new role) or that was
    removed is handed to `on_accounts_ended`, which the app sets to end their sessions: a session
    signed in before a password reset stayed signed in."""

    def __init__(self, path: Path | None, fixed: Mapping[str, Account]):
        self.path = path
        self.fixed = dict(fixed)
        self._lock = threading.Lock()
        self._seen: tuple | None = None
        self._read: dict[str, Account] = {}
        # (the accounts whose sign-ins end, and of them those removed from the file)
        self.on_accounts_ended: Callable[[frozenset[str], frozenset[str]], None] | None = None
        self._refresh(first=True)

    def _stamp(self) -> tuple | None:
        try:
            st = self.path.stat() if self.path is not None else None
        except FileNotFoundError:
            return None
        return (st.st_mtime_ns, st.st_size, st.st_ino) if st else None

    def _refresh(self, first: bool = False) -> None:
        stamp = self._stamp()
        if stamp == self._seen and not first:
            return
        try:
            if stamp is None and first and self.path is not None:   # named, and not there: no app open to all
                read_users_file(self.path)
            before, self._read = self._read, read_users_file(self.path) if stamp is not None else {}
        except CotExplorerError as e:
            if first:
                raise
            # not marked as read: tried again at the next action, until it reads
            log.error("the users file changed and cannot be read; the accounts read before stand: %s", e)
            return
        self._seen = stamp
        ended = frozenset(name for name, account in before.items() if name not in self.fixed
                          and (name not in self._read or self._read[name].secret != account.secret))
        if ended and self.on_accounts_ended is not None:
            # before a sign-in that read the change goes on: its own new session is not ended
            self.on_accounts_ended(ended, frozenset(n for n in ended if n not in self._read))

    def accounts(self) -> dict[str, Account]:
        with self._lock:
            self._refresh()
            return {**self._read, **self.fixed}


def _names(value: str | None) -> frozenset[str]:
    return frozenset(n.strip() for n in (value or "").split(",") if n.strip())


@dataclass(frozen=True)
class AccessPolicy:
    mode: str                                    # local | password | space
    users: UsersFile | None = None
    admins: frozenset[str] = frozenset()
    annotators: frozenset[str] = frozenset()
    hf_oauth: bool = False                       # the Space has `hf_oauth: true` (Spaces then set OAUTH_CLIENT_ID)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "AccessPolicy":
        env = os.environ if env is None else env
        users_file = Path(env[USERS_FILE_ENV]).expanduser() if env.get(USERS_FILE_ENV) else default_users_file()
        named = bool(env.get(USERS_FILE_ENV)) or users_file.exists()
        users = UsersFile(users_file if named else None, parse_users_env(env[USERS_ENV]) if env.get(USERS_ENV) else {})
        # a users file, even one whose last user was removed, keeps the login page: without any
        # account the app opened to everyone as its one local admin
        if named or users.accounts():
            return cls("password", users)
        if env.get("SPACE_ID"):
            return cls("space", admins=_names(env.get(ADMINS_ENV)), annotators=_names(env.get(ANNOTATORS_ENV)),
                       hf_oauth=bool(env.get("OAUTH_CLIENT_ID")))
        return cls("local")

    @property
    def uses_login_page(self) -> bool:
        return self.mode == "password"

    @property
    def uses_hf_sign_in(self) -> bool:
        """On a Space with `hf_oauth: true`; a Space without it has viewers only."""
        return self.mode == "space" and self.hf_oauth

    @property
    def nobody_signs_in(self) -> bool:
        """A Space without `hf_oauth: true`: everyone is a viewer, its owner included."""
        return self.mode == "space" and not self.hf_oauth

    @property
    def someone_unlimited(self) -> bool:
        """Whether anyone can sign in with a role not held to a viewer's allowances (an annotator
        or an admin): a viewer is told to ask one only where there is one to ask."""
        if self.mode == "space":
            return self.hf_oauth and bool(self.admins or self.annotators)
        return True

    def startup_notes(self, env: Mapping[str, str] | None = None) -> list[str]:
        """What a Space's owner should know from its log: it became read-only for everyone, or
        its store is on a disk the Space forgets at each restart, without a word."""
        env = os.environ if env is None else env
        notes = []
        if self.nobody_signs_in:
            # said by what was checked: the variable a Space sets for `hf_oauth: true` (the README
            # of this very repository has it, and the sentence blamed it)
            notes.append("this Space has no sign-in (OAUTH_CLIENT_ID is not set: Spaces set it when the README's "
                         "front matter has `hf_oauth: true`, after a rebuild), so everyone, "
                         f"its admins in {ADMINS_ENV} included, is a viewer: no labels can be saved")
        if self.mode == "space" and not env.get("COT_EXPLORER_HOME"):
            notes.append("COT_EXPLORER_HOME is not set: the store is on the Space's own disk, which a restart "
                         "empties; set it to a folder on a persistent volume (/data/cot-explorer)")
        return notes

    def check_password(self, username: str, password: str) -> bool:
        """Gradio's `auth` callable."""
        account = self.users.accounts().get(username) if self.users else None
        return account is not None and isinstance(password, str) and account.accepts(password)

    def user(self, username: str | None = None, hf_username: str | None = None) -> User:
        """The user behind a request: Gradio's logged-in name, or the Hugging Face profile's."""
        if self.mode == "local":
            return User(LOCAL_USER, Role.ADMIN)
        if self.mode == "password":
            account = self.users.accounts().get(username or "")
            if account is None:   # signed in before their name was taken out of the users file
                raise PermissionDenied(f"{username or 'this session'} is no longer a user of this app; ask an admin")
            return User(username, account.role)
        if hf_username in self.admins:
            return User(hf_username, Role.ADMIN)
        if hf_username in self.annotators:
            return User(hf_username, Role.ANNOTATOR)
        return User(hf_username, Role.VIEWER)
