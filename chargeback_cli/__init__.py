"""Command line and local run: `chargeback run` on an embedded AWS emulation, `chargeback redrive` on AWS."""
