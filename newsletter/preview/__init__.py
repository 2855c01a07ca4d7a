"""The local preview: a server on 127.0.0.1 and the pages it shows, reloading as the editor works."""
