"""Which phones are there and what to do about each: scanning a backend's devices
(:mod:`.devices`), hot-plug events (:mod:`.hotplug`), and what the operating system knows
about USB devices that MTP cannot tell (:mod:`.usbinfo`)."""
