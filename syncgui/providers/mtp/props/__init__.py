"""Property bags after WPD's ``IPortableDeviceValues`` (:mod:`.propbag`) and their binary
codec (:mod:`.propcodec`): the one data format of the helper process's pipe and of the sync
state syncgui keeps on a phone."""
