"""The CLI's sub-commands, one module each; every module has ``add_parser`` and ``run``."""
