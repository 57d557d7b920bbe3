"""Keeping a store healthy: ``verify`` (fsck for artifacts) and ``gc`` (reclaim blobs)."""

from archivist.maintenance.gc import GcReport, gc
from archivist.maintenance.verify import VerifyReport, verify

__all__ = ["GcReport", "VerifyReport", "gc", "verify"]
