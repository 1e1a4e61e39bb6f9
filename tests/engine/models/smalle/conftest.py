import pytest
import torch


@pytest.fixture(autouse=True)
def _one_thread():
    # The tiny models are launch-bound: extra threads only contend on a shared machine.
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
