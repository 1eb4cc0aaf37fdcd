"""HTTP: the path of a request to SoundCloud."""
