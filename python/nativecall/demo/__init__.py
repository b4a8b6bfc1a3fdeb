"""The nativecall demo: the seed scenarios end to end (run with ``python -m nativecall.demo``)."""
