"""deskapp: a keyboard-driven terminal desk for complaint and customer-service handlers."""

__version__ = "0.1.0"
