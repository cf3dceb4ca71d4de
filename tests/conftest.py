"""Keep torch on one thread: the test networks are tiny, and extra threads only add contention."""

import torch

torch.set_num_threads(1)
