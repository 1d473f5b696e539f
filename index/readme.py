"""Rewrite the generated parts of README.md and docs/: the published-table contract, the method-spec keys and the uncertainty-spec keys.

``python -m index.readme`` after changing index/targets/contract.py or index/engine/spec.py; tests check that
the README holds what these generate.
"""

from __future__ import annotations


def main() -> None:
    from index.engine import spec
    from index.targets import contract
    from index.uncertainty import spec as uncertainty_spec

    print(contract.write_doc())
    print(spec.write_readme())
    print(uncertainty_spec.write_readme())


if __name__ == "__main__":
    main()
