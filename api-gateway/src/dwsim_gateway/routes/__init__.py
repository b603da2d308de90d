"""One router per resource, named after the URL's noun."""
