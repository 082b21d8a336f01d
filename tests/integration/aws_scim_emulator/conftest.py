import pytest

pytestmark = pytest.mark.emulator
