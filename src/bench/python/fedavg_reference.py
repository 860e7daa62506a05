"""The default experiment in PyTorch, for side-by-side timing with the Spark job.

The seed program's experiment: 10 clients of 200 rows, 5 sampled per round, 50 rounds; 32
Gaussian features with feature[y1 % 32] += 2 and feature[(y2 + 5) % 32] += 1; a shared MLP
32-64-32 with ReLU and heads of 10 and 5 classes; Adam (lr 0.01) from scratch for each client,
batch 32, 3 local epochs, loss 0.5 L1 + 0.5 L2; FedAvg weighted by client sample counts; test
accuracy per task each round on 10,000 rows. Prints one line per round and a closing
`seconds_per_round` line that the Java bench reads.
"""
import sys
import time

import numpy as np
import torch
from torch import nn

CLIENTS, ROWS, FEATURES, TEST_ROWS = 10, 200, 32, 10_000
ROUNDS, PER_ROUND, EPOCHS, BATCH, LR = 50, 5, 3, 32, 0.01


def make_rows(rng, count):
    x = rng.standard_normal((count, FEATURES)).astype(np.float32)
    y1 = rng.integers(0, 10, count)
    y2 = rng.integers(0, 5, count)
    x[np.arange(count), y1 % FEATURES] += 2.0
    x[np.arange(count), (y2 + 5) % FEATURES] += 1.0
    return torch.from_numpy(x), torch.from_numpy(y1), torch.from_numpy(y2)


class MultiTask(nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = nn.Sequential(nn.Linear(FEATURES, 64), nn.ReLU(), nn.Linear(64, 32),
                                      nn.ReLU())
        self.head1 = nn.Linear(32, 10)
        self.head2 = nn.Linear(32, 5)

    def forward(self, x):
        shared = self.backbone(x)
        return self.head1(shared), self.head2(shared)


def local_training(model, data, generator):
    x, y1, y2 = data
    optimizer = torch.optim.Adam(model.parameters(), lr=LR)
    loss = nn.CrossEntropyLoss()
    for _ in range(EPOCHS):
        order = torch.randperm(len(x), generator=generator)
        for start in range(0, len(x), BATCH):
            batch = order[start:start + BATCH]
            out1, out2 = model(x[batch])
            total = 0.5 * loss(out1, y1[batch]) + 0.5 * loss(out2, y2[batch])
            optimizer.zero_grad()
            total.backward()
            optimizer.step()


def main():
    seed = int(sys.argv[1]) if len(sys.argv) > 1 else 42
    torch.manual_seed(seed)
    clients = [make_rows(np.random.default_rng([seed, c]), ROWS) for c in range(CLIENTS)]
    test_x, test_y1, test_y2 = make_rows(np.random.default_rng([seed, 10_000]), TEST_ROWS)
    sampler = np.random.default_rng([seed, 1])
    generator = torch.Generator().manual_seed(seed)
    model = MultiTask()
    start = time.perf_counter()
    for round_number in range(1, ROUNDS + 1):
        round_start = time.perf_counter()
        global_state = {k: v.clone() for k, v in model.state_dict().items()}
        total = {k: torch.zeros_like(v) for k, v in global_state.items()}
        weight = 0
        for client in sampler.choice(CLIENTS, PER_ROUND, replace=False):
            local = MultiTask()
            local.load_state_dict(global_state)
            local_training(local, clients[client], generator)
            for k, v in local.state_dict().items():
                total[k] += v * ROWS
            weight += ROWS
        model.load_state_dict({k: v / weight for k, v in total.items()})
        with torch.no_grad():
            out1, out2 = model(test_x)
            accuracy1 = (out1.argmax(1) == test_y1).float().mean().item()
            accuracy2 = (out2.argmax(1) == test_y2).float().mean().item()
        print(f"round {round_number} task1.accuracy {accuracy1:.4f} "
              f"task2.accuracy {accuracy2:.4f} {time.perf_counter() - round_start:.3f} s")
    print(f"seconds_per_round {(time.perf_counter() - start) / ROUNDS:.4f}")


if __name__ == "__main__":
    main()
