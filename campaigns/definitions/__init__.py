"""Campaign definitions: the file schema and its problems, send windows, and a campaign's life from
draft to finished.
"""
