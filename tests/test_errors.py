"""Every error class: a stable code, an HTTP status, a round trip through code and pickle."""

from __future__ import annotations

import pickle

import pytest

from archivist import errors

CLASSES = [
    errors.ArchivistError, errors.InvalidArgument, errors.MalformedFilter, errors.ResourceNotFound,
    errors.ResourceAlreadyExists, errors.InvalidState, errors.ArtifactCorrupted,
    errors.PermissionDenied, errors.Unauthenticated, errors.MissingDependency,
    errors.MalformedRequest, errors.PayloadTooLarge, errors.EndpointNotFound, errors.StorageFull,
]


@pytest.mark.parametrize("cls", CLASSES)
def test_code_status_and_roundtrip(cls: type[errors.ArchivistError]) -> None:
    err = cls("something is wrong")
    assert errors.HTTP_STATUS[err.error_code] >= 400
    payload = err.to_dict()
    back = errors.error_for_code(payload["error_code"], payload["message"])
    assert isinstance(back, errors.ArchivistError)
    assert back.message == "something is wrong"
    if cls not in (errors.MalformedFilter, errors.MissingDependency):
        assert type(back) is cls
    again = pickle.loads(pickle.dumps(err))
    assert type(again) is cls and again.message == err.message


def test_builtin_bases() -> None:
    assert issubclass(errors.InvalidArgument, ValueError)
    assert issubclass(errors.ResourceNotFound, LookupError)
    assert issubclass(errors.PermissionDenied, PermissionError)
    assert issubclass(errors.MissingDependency, ImportError)
