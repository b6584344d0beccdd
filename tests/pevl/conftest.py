from helpers import single_thread_seeded  # noqa: F401  (autouse: 1 thread, seed 0)
