"""Map pages built with Folium: public, courier and planner."""
