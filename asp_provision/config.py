"""Workspace settings: ``asp-provision.toml`` at the workspace root, every key optional."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal, overload

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from asp_provision.errors import ConfigError, UsageError
from asp_provision.spec.formats import control_character
from asp_provision.state.pool import (
    DEFAULT_POOL,
    DEFAULT_PREFIX,
    MAX_SUBNET_PREFIX,
    MIN_SUBNET_PREFIX,
)
from asp_provision.state.url import PgUrl, StateLocation, is_url, mask

if TYPE_CHECKING:
    import ipaddress

    from asp_provision.run.workers import Worker, WorkerSide
    from asp_provision.state.addresses import Wanted

CONFIG_FILE = "asp-provision.toml"


class Settings(BaseModel):
    """What a workspace may change; paths are relative to the workspace root."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    specs: Path = Path("specs")
    catalog: Path | None = Field(
        default=None, description="Catalog file; catalog.yaml if present, else the built-in."
    )
    templates: Path = Path("templates")
    playbooks: Path = Path("playbooks")
    inventory: Path | None = Field(
        default=None,
        description="Ansible inventory of real hosts; inventory/ if present, else the local site.",
    )
    state: Path | str = Field(
        default=Path(".asp/state.db"),
        description="State database: a SQLite file, or a postgresql:// URL.",
    )
    state_timeout: Annotated[float, Field(gt=0, le=3600)] = Field(
        default=10.0,
        description="Seconds to wait while another process holds the state's write lock.",
    )
    runs: Path = Path(".asp/runs")
    site: Path = Path(".asp/site")
    mitogen: bool = True
    forks: Annotated[int, Field(ge=1, le=256)] = 5
    address_pool: str = Field(
        default=DEFAULT_POOL, description="IPv4 network the customers' subnets are taken from."
    )
    subnet_prefix: Annotated[int, Field(ge=MIN_SUBNET_PREFIX, le=MAX_SUBNET_PREFIX)] = (
        DEFAULT_PREFIX
    )

    @field_validator("address_pool")
    @classmethod
    def _pool(cls, value: str) -> str:
        if not value.isprintable() or value != value.strip():
            raise ValueError(
                "an IPv4 network such as 10.0.0.0/8, without spaces or control characters"
            )
        import ipaddress

        try:
            network = ipaddress.IPv4Network(value, strict=True)
        except ValueError as exc:
            raise ValueError(f"not an IPv4 network such as 10.0.0.0/8: {exc}") from None
        if "/" not in value:
            raise ValueError("give the network with its prefix length, such as 10.0.0.0/8")
        return str(network)

    def local_jobs(self) -> int:
        """How many ansible-playbook processes a run here may use at once."""
        if self.jobs != "auto":
            return self.jobs
        import os

        return max(1, min(len(os.sched_getaffinity(0)), 4))

    def address_request(
        self, customers: tuple[str, ...] = (), avoid: tuple[ipaddress.IPv4Network, ...] = ()
    ) -> Wanted:
        """Where the subnets of ``customers`` come from (never overlapping ``avoid``)."""
        import ipaddress

        from asp_provision.state.addresses import Wanted

        pool = ipaddress.IPv4Network(self.address_pool)
        return Wanted(customers, pool, self.subnet_prefix, avoid)

    jobs: Annotated[int, Field(ge=1, le=64)] | Literal["auto"] = Field(
        default=1,
        description=(
            "ansible-playbook processes a run here uses at once, each with a share of the "
            "customers; default 1; auto: one per CPU core, at most 4."
        ),
    )
    workers: tuple[str, ...] = Field(
        default=(),
        description=(
            "Worker hosts the customers of a run are streamed to, as ssh://[user@]host[:port] "
            "(or an alias of your ssh configuration); none: runs happen here."
        ),
    )
    worker_site: str = Field(
        default="/var/lib/asp-provision/site", description="The site folder on the worker hosts."
    )
    worker_python: str = Field(
        default="/usr/bin/python3",
        description="The Python of the worker hosts, with asp-provision and Ansible installed.",
    )
    worker_dir: str = Field(
        default="/var/tmp/asp-provision",
        description="Where the private folders of runs go on the worker hosts.",
    )
    ssh_config: Path | None = Field(
        default=None,
        description="The OpenSSH client configuration to reach the workers with (ssh -F).",
    )

    @field_validator("workers")
    @classmethod
    def _workers(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        from asp_provision.run.workers import parse

        for name in value:
            parse(name)
        if len(set(value)) != len(value):
            raise ValueError("a worker is named twice")
        return value

    @field_validator("worker_site")
    @classmethod
    def _worker_site(cls, value: str) -> str:
        from asp_provision.run.workers import worker_path

        return worker_path(value, "worker site")

    @field_validator("worker_python", "worker_dir")
    @classmethod
    def _worker_plain_path(cls, value: str) -> str:
        from asp_provision.run.workers import worker_path

        return worker_path(value, "path", plain=True)

    @field_validator("state", mode="before")
    @classmethod
    def _state(cls, value: object) -> object:
        # a URL stays text (a path would fold its //); anything else is a file
        if isinstance(value, str) and is_url(value):
            PgUrl(value)  # refuses a malformed URL, its password masked
            return value
        return Path(value) if isinstance(value, str) else value

    @field_validator(
        "specs",
        "catalog",
        "templates",
        "playbooks",
        "inventory",
        "state",
        "runs",
        "site",
        "ssh_config",
    )
    @classmethod
    def _one_line(cls, value: Path | str | None) -> Path | str | None:
        # paths reach Ansible and configuration lines (the site's cron jobs)
        if value is not None and (why := control_character(str(value))):
            raise ValueError(f"the path {mask(str(value))!r} {why}")
        return value


class Workspace:
    """A workspace folder and its settings, with every path made absolute."""

    def __init__(self, root: Path, settings: Settings | None = None) -> None:
        self.root = root.resolve()
        self.settings = settings or load_settings(self.root)

    def path(self, relative: Path) -> Path:
        """An absolute path for a setting relative to the root."""
        return relative if relative.is_absolute() else self.root / relative

    @property
    def specs_dir(self) -> Path:
        """Where the specs are."""
        return self.path(self.settings.specs)

    @property
    def catalog_path(self) -> Path | None:
        """The catalog file in use, or None for the built-in one."""
        if self.settings.catalog is not None:
            return self.path(self.settings.catalog)
        local = self.root / "catalog.yaml"
        return local if local.is_file() else None

    @property
    def inventory_path(self) -> Path | None:
        """The inventory of real hosts, or None to run against the local site."""
        if self.settings.inventory is not None:
            path = self.path(self.settings.inventory)
            if not path.exists():
                raise ConfigError(
                    f"no such inventory file or folder: {shown(path)}",
                    self.root / CONFIG_FILE,
                    field="inventory",
                )
            return path
        local = self.root / "inventory"
        return local if local.is_dir() else None

    def workers(self) -> tuple[list[Worker], WorkerSide]:
        """The worker hosts runs are streamed to (none: runs happen here), and their settings."""
        from asp_provision.run.workers import WorkerSide, parse

        settings = self.settings
        side = WorkerSide(
            site=settings.worker_site,
            python=settings.worker_python,
            folder=settings.worker_dir,
            mitogen=settings.mitogen,
            ssh_config=self.path(settings.ssh_config) if settings.ssh_config else None,
        )
        return [parse(w) for w in settings.workers], side

    @property
    def asp_dir(self) -> Path:
        """The workspace's own folder: the secret key, the private folders of runs."""
        return self.root / ".asp"

    @property
    def state_path(self) -> StateLocation:
        """The state database: a file, or a PostgreSQL database's URL."""
        state = self.settings.state
        if isinstance(state, str):
            return PgUrl(state)
        return self.path(state)

    @property
    def site_path(self) -> Path:
        """The local site, refused when its path could not be written into a configuration line.

        The setting is checked when it is read; this also catches a workspace folder whose
        own name holds a line break.
        """
        site = self.path(self.settings.site)
        why = control_character(str(site))
        if why:
            raise UsageError(
                f"the site folder {str(site)!r} {why}: its path is written into the site's "
                "cron jobs; use a workspace folder, or a site setting, without it"
            )
        return site


@overload
def shown(path: Path) -> Path: ...
@overload
def shown(path: PgUrl) -> PgUrl: ...
@overload
def shown(path: Path | PgUrl) -> Path | PgUrl: ...
def shown(path: Path | PgUrl) -> Path | PgUrl:
    """``path`` relative to the current folder when it is below it, for shorter messages.

    A PostgreSQL state's URL is shown as it is, its password masked.
    """
    if isinstance(path, PgUrl):
        return path
    try:
        return path.relative_to(Path.cwd())
    except ValueError:
        return path


def load_settings(root: Path) -> Settings:
    """Read ``asp-provision.toml`` from ``root``; defaults when there is none."""
    path = root / CONFIG_FILE
    try:
        text = path.read_text("utf-8")
    except FileNotFoundError:
        return Settings.model_construct()  # the defaults: nothing to validate
    except OSError as exc:
        raise ConfigError(f"cannot read: {exc.strerror}", path) from None
    import tomllib

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(str(exc), path) from None
    try:
        settings = Settings.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"])
        message = err["msg"].removeprefix("Value error, ")
        raise ConfigError(message, path, field=field) from None
    if (settings.address_pool, settings.subnet_prefix) == (DEFAULT_POOL, DEFAULT_PREFIX):
        return settings
    import ipaddress

    pool = ipaddress.IPv4Network(settings.address_pool)
    if settings.subnet_prefix < pool.prefixlen:
        raise ConfigError(
            f"/{settings.subnet_prefix} subnets do not fit in the address pool {pool}: "
            f"give a subnet_prefix of at least {pool.prefixlen}",
            path,
            field="subnet_prefix",
        )
    return settings
