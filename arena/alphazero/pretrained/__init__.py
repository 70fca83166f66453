"""Shipped AlphaZero models (``*.pt``) with the config, command and training log of each; see README.md."""
