"""Audio in, text and tags out: conversion, the Vosk engine and model registry, tagging.

A library: no Flask and no database. Usable from the command line on a folder of files.
"""
