"""Each IdP as one package: how its webhooks are checked, how its events map, how its API
is read, and how its whole directory is read for a full sync.

``directory`` holds what every directory reader returns; ``reading`` holds the one place
that decides what an IdP API's answer means for a full read.
"""
