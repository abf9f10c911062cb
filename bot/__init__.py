"""Careers-advice chatbot for people thinking about training to teach in England."""
