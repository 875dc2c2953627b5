"""Computer-based tests (thi trên máy vi tính): definitions, papers, attempts, answers."""
