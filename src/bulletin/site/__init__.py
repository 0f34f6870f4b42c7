"""Reading a site: posts and their front matter, Grav dates, Markdown rendering."""
