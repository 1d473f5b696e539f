"""What `dei` shows an economist about releases and scenarios: rankings with their intervals, comparisons and
diffs, the scenario registry, suggested weights and the audit as text. index/cli.py parses the arguments and
calls these; releases.py (diff) uses compare and scenarios too."""
