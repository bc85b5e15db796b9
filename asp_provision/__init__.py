"""asp-provision: declarative onboarding of Application Service Provider customers."""

__version__ = "0.1.0"
