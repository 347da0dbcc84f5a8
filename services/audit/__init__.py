"""Audit log: who changed what (services/audit/recorder.py explains the design)."""
