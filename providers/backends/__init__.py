"""Compatibility surface only: the user repository under the names older tests import."""
